#!/usr/bin/env python3
"""Writes the DIN 91379 benchmark corpus: a wrapper schema that imports the real XÖV DIN 91379
types (XJustiz's din-norm-91379-datatypes.xsd: datatypeC; XBau's latinchars.xsd: String.Latin)
and a document dominated by personal names in those types, with diacritics and non-ASCII
letters from DIN 91379 (the text that makes libxml2 slow on XÖV content).

usage: make_din_corpus.py SHARED_XOEV_DIR OUT_DIR TARGET_BYTES
"""
import os
import random
import sys

shared, out, target = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(out, exist_ok=True)
din = os.path.abspath(os.path.join(shared, "xjustiz-3.6.2/XJustiz 3.6.2 XSD/din-norm-91379-datatypes.xsd"))
latin = os.path.abspath(os.path.join(shared, "xbau-2.6/artifacts/xbau/2.6/xsd/xsd_dev/latinchars.xsd"))
for path in (din, latin):
    if not os.path.isfile(path):
        sys.exit(f"missing {path}")

schema = f"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:din="urn:xoev-de:kosit:xoev:datentyp:din-91379_2022-08"
           xmlns:lat="http://xoev.de/latinchars/1_1/datatypes"
           xmlns:b="urn:xoev-gateway:bench:din"
           targetNamespace="urn:xoev-gateway:bench:din" elementFormDefault="qualified">
  <xs:import namespace="urn:xoev-de:kosit:xoev:datentyp:din-91379_2022-08" schemaLocation="file://{din}"/>
  <xs:import namespace="http://xoev.de/latinchars/1_1/datatypes" schemaLocation="file://{latin}"/>
  <xs:element name="personen">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="person" maxOccurs="unbounded">
          <xs:complexType>
            <xs:sequence>
              <xs:element name="familienname" type="din:datatypeC"/>
              <xs:element name="vorname" type="din:datatypeC"/>
              <xs:element name="geburtsname" type="lat:String.Latin" minOccurs="0"/>
              <xs:element name="strasse" type="din:datatypeC"/>
              <xs:element name="ort" type="lat:String.Latin"/>
            </xs:sequence>
          </xs:complexType>
        </xs:element>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""
# schemaLocation is a URI reference: relative to the wrapper, spaces percent-encoded.
for path in (din, latin):
    relative = os.path.relpath(path, os.path.abspath(out)).replace(" ", "%20")
    schema = schema.replace("file://" + path, relative)
with open(os.path.join(out, "din.xsd"), "w", encoding="utf-8") as f:
    f.write(schema)

rng = random.Random(91379)
family = ["Müller", "Łukasiewicz", "Ðorđević", "Øresund", "Şahin", "Nguyễn", "Dvořák", "Ñúñez",
          "Ó Briain", "Van der Sloot", "Große-Wöhrmann", "Kovačević", "Ȟolub", "Ăndrei", "Yılmaz",
          "Žemaitė", "d'Alembert", "MacLeòid", "Āboliņš", "Þórðarson"]
given = ["Hannelore", "Zoë", "Ægir", "Björn", "Çağla", "Dóra", "Émile", "Fañch", "Gül", "Hüseyin",
         "Iñaki", "Jürgen", "Kasia", "Łucja", "Mónika", "Nuño", "Oğuz", "Přemysl", "Šárka", "Ümit"]
streets = ["Blumenstraße", "Am Ölberg", "Rue de l'Église", "Ulica Łąkowa", "Søndergade",
           "Karl-Marx-Allee", "Via dell'Università", "Çarşı Caddesi", "Hauptstraße", "Öresundsvägen"]
places = ["München", "Köln", "Łódź", "Malmö", "Zürich", "Besançon", "Gdańsk", "Brașov", "Tromsø"]

parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<b:personen xmlns:b="urn:xoev-gateway:bench:din">\n']
size = len(parts[0].encode())
while size < target:
    person = (
        "  <b:person>"
        f"<b:familienname>{rng.choice(family)}-{rng.choice(family)}</b:familienname>"
        f"<b:vorname>{rng.choice(given)} {rng.choice(given)}</b:vorname>"
        + (f"<b:geburtsname>{rng.choice(family)}</b:geburtsname>" if rng.random() < 0.3 else "")
        + f"<b:strasse>{rng.choice(streets)} {rng.randint(1, 250)}</b:strasse>"
        f"<b:ort>{rng.choice(places)}</b:ort></b:person>\n"
    )
    parts.append(person)
    size += len(person.encode())
parts.append("</b:personen>\n")
with open(os.path.join(out, "din-names.xml"), "w", encoding="utf-8") as f:
    f.write("".join(parts))
print(f"{out}/din-names.xml: {size} bytes")
