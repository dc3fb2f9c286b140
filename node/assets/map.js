// Map of the shops listed in <ul id="places">, drawn with the node's own copy of Leaflet.
// Loaded as a file (CSP script-src 'self'); page data only ever reaches the DOM as text.
(function () {
  'use strict';
  var box = document.getElementById('map');
  var L = window.L;
  if (!box || !L) return;

  // One entry per <li data-lat data-lon>; items with bad coordinates are skipped.
  var places = [];
  var items = document.querySelectorAll('#places li[data-lat][data-lon]');
  for (var i = 0; i < items.length; i++) {
    var lat = parseFloat(items[i].getAttribute('data-lat'));
    var lon = parseFloat(items[i].getAttribute('data-lon'));
    if (isFinite(lat) && isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
      places.push({ at: [lat, lon], li: items[i] });
    }
  }
  if (!places.length) return; // nothing to show: the map stays hidden

  // Leaflet cannot guess where its images are once served from /assets.
  L.Icon.Default.imagePath = '/assets/leaflet/images/';

  // The CSS shows the map only with this class; set it first so Leaflet measures a real box.
  document.documentElement.classList.add('has-map');
  box.setAttribute('role', 'region');
  box.setAttribute('aria-label', box.getAttribute('data-label') || 'Map');

  var map = L.map(box);
  var tiles = box.getAttribute('data-tiles');
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 19, attribution: credit(box.getAttribute('data-attribution') || '') }).addTo(map);
  }

  places.forEach(function (p) {
    var link = p.li.querySelector('a[href]');
    var name = link ? link.textContent.trim() : p.li.textContent.trim();
    L.marker(p.at, { title: name, alt: name }).bindPopup(popup(p.li, link, name)).addTo(map);
  });

  if (places.length === 1) {
    map.setView(places[0].at, 15);
  } else {
    map.fitBounds(places.map(function (p) { return p.at; }), { maxZoom: 16, padding: [24, 24] });
  }

  // Popup content as DOM nodes: the shop's link, then the rest of the item (its address).
  function popup(li, link, name) {
    var div = document.createElement('div');
    var a = document.createElement(link ? 'a' : 'strong');
    if (link) a.setAttribute('href', link.getAttribute('href'));
    a.textContent = name;
    div.appendChild(a);
    var rest = '';
    for (var n = li.firstChild; n; n = n.nextSibling) {
      if (n !== link) rest += n.textContent;
    }
    rest = rest.replace(/^[\s\u2013\u2014,-]+/, '').replace(/\s+/g, ' ').trim();
    if (rest) {
      div.appendChild(document.createElement('br'));
      div.appendChild(document.createTextNode(rest));
    }
    return div;
  }

  // Leaflet takes attribution as HTML: escape the plain text, then link the OSM licence page.
  function credit(text) {
    var span = document.createElement('span');
    span.textContent = text;
    return span.innerHTML.replace('OpenStreetMap',
      '<a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>');
  }
})();
