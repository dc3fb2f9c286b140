// Étal dashboard: small improvements over forms that work without it.
// Photo previews before upload, and a map pin for the shop's position.
(function () {
  "use strict";
  var input = document.getElementById("photos");
  var previews = document.querySelector(".previews");
  if (input && previews && window.URL) {
    input.addEventListener("change", function () {
      previews.textContent = "";
      Array.prototype.slice.call(input.files, 0, 4).forEach(function (f) {
        var img = document.createElement("img");
        img.src = URL.createObjectURL(f);
        img.alt = "";
        img.width = 96;
        img.height = 72;
        previews.appendChild(img);
      });
    });
  }
  var el = document.getElementById("pinmap");
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  if (el && lat && lon && window.L) {
    L.Icon.Default.imagePath = "/assets/leaflet/images/";
    el.classList.add("on");
    el.setAttribute("role", "region");
    el.setAttribute("aria-label", (el.closest("fieldset") && el.closest("fieldset").querySelector("legend") || {}).textContent || "Map");
    var start = [parseFloat(lat.value.replace(",", ".")), parseFloat(lon.value.replace(",", "."))];
    var has = isFinite(start[0]) && isFinite(start[1]);
    var map = L.map(el).setView(has ? start : [46.6, 2.4], has ? 16 : 5);
    L.tileLayer(el.getAttribute("data-tiles"), {
      attribution: el.getAttribute("data-attribution"),
      maxZoom: 19
    }).addTo(map);
    var marker = has ? L.marker(start).addTo(map) : null;
    map.on("click", function (e) {
      var p = e.latlng;
      lat.value = p.lat.toFixed(6);
      lon.value = p.lng.toFixed(6);
      if (marker) { marker.setLatLng(p); } else { marker = L.marker(p).addTo(map); }
    });
  }
})();

// "Encaisser un bon": where the browser can read QR codes (BarcodeDetector), the camera fills
// the code in; elsewhere the code is typed, as without JavaScript.
(function () {
  var button = document.getElementById('scan');
  var video = document.getElementById('scan-video');
  var field = document.getElementById('code');
  var form = document.getElementById('code-form');
  if (!button || !video || !field || !form || !('BarcodeDetector' in window) || !navigator.mediaDevices) {
    return;
  }
  button.hidden = false;
  button.addEventListener('click', function () {
    var detector = new window.BarcodeDetector({ formats: ['qr_code'] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      var stop = function () {
        stream.getTracks().forEach(function (t) { t.stop(); });
        video.hidden = true;
      };
      var look = function () {
        detector.detect(video).then(function (found) {
          if (found.length > 0 && found[0].rawValue) {
            stop();
            field.value = found[0].rawValue;
            form.submit();
          } else {
            setTimeout(look, 250);
          }
        }).catch(function () { setTimeout(look, 500); });
      };
      look();
    }).catch(function () { field.focus(); });
  });
})();
