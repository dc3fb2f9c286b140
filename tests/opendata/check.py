"""Open data of a running Étal node, read as a harvester reads it.

    python check.py http://127.0.0.1:PORT

The DCAT catalogue, in Turtle and in JSON-LD, parsed by rdflib (the same graph both ways, with
the catalogue, dataset, distributions, licence, publisher and spatial coverage that
data.gouv.fr's harvester reads); merchants.csv and products.csv validated by frictionless
against the node's own Table Schemas. Prints one line per check; exits 1 if any failed.
"""

import json
import sys
import tempfile
import urllib.request
from pathlib import Path

import rdflib
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

BASE = sys.argv[1].rstrip("/")
LICENCE = rdflib.URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence/")
failures = 0


def check(name, ok, detail=""):
    global failures
    print(("ok   " if ok else "FAIL ") + name + (f" — {detail}" if detail else ""))
    if not ok:
        failures += 1


def fetch(path):
    with urllib.request.urlopen(BASE + path, timeout=30) as res:
        return res.read(), res.headers.get("Content-Type", "")


ttl, ttl_type = fetch("/open-data/catalog.ttl")
jsonld, jsonld_type = fetch("/open-data/catalog.jsonld")
check("catalog.ttl is text/turtle", ttl_type.startswith("text/turtle"), ttl_type)
check("catalog.jsonld is application/ld+json", jsonld_type.startswith("application/ld+json"), jsonld_type)
turtle = rdflib.Graph().parse(data=ttl, format="turtle")
ld = rdflib.Graph().parse(data=jsonld, format="json-ld")
check("Turtle and JSON-LD give the same graph", isomorphic(turtle, ld),
      f"{len(turtle)} and {len(ld)} triples")

g = turtle
catalogs = list(g.subjects(RDF.type, DCAT.Catalog))
datasets = list(g.subjects(RDF.type, DCAT.Dataset))
distributions = list(g.subjects(RDF.type, DCAT.Distribution))
check("one dcat:Catalog", len(catalogs) == 1, str(catalogs))
check("one dcat:Dataset, in the catalogue", len(datasets) == 1 and
      (catalogs[0], DCAT.dataset, datasets[0]) in g)
check("three distributions of the dataset", len(distributions) == 3 and
      all((datasets[0], DCAT.distribution, d) in g for d in distributions))
check("the licence on the catalogue, the dataset and each distribution",
      all((s, DCTERMS.license, LICENCE) in g for s in catalogs + datasets + distributions))
downloads = {str(o) for d in distributions for o in g.objects(d, DCAT.downloadURL)}
check("download URLs of the three files", downloads == {
    BASE + "/open-data/merchants.csv", BASE + "/open-data/products.csv",
    BASE + "/open-data/products.ndjson"}, str(downloads))
services = list(g.subjects(RDF.type, DCAT.DataService))
check("the change feed as a data service of the catalogue, serving the dataset",
      len(services) == 1 and (catalogs[0], DCAT.service, services[0]) in g
      and (services[0], DCAT.servesDataset, datasets[0]) in g
      and str(g.value(services[0], DCAT.endpointURL)) == BASE + "/open-data/changes")
publisher = g.value(datasets[0], DCTERMS.publisher)
check("a publisher with a name", publisher is not None and
      g.value(publisher, FOAF.name) is not None)
check("a title, a description and a modification date",
      all(g.value(datasets[0], p) is not None
          for p in (DCTERMS.title, DCTERMS.description, DCTERMS.modified)))
spatial = {str(o) for o in g.objects(datasets[0], DCTERMS.spatial)}
check("spatial coverage by INSEE commune", "http://id.insee.fr/geo/commune/78517" in spatial,
      str(spatial))

# The files against their Table Schemas.
from frictionless import Resource, Schema  # noqa: E402

with tempfile.TemporaryDirectory() as tmp:
    for name in ("merchants", "products"):
        data, _ = fetch(f"/open-data/{name}.csv")
        schema_text, _ = fetch(f"/open-data/{name}.tableschema.json")
        path = Path(tmp) / f"{name}.csv"
        path.write_bytes(data)
        schema = Schema.from_descriptor(json.loads(schema_text))
        report = Resource(path=f"{name}.csv", basepath=tmp, schema=schema).validate()
        rows = data.count(b"\n") - 1
        errors = report.flatten(["rowNumber", "fieldName", "type", "note"])
        check(f"{name}.csv ({rows} rows) is valid against its Table Schema", report.valid,
              "; ".join(str(e) for e in errors[:5]))
        check(f"{name}.csv is not empty", rows > 0, str(rows))

print(f"\nopen data checks: {'all passed' if failures == 0 else f'{failures} failed'}")
sys.exit(1 if failures else 0)
