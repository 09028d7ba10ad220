#!/usr/bin/env python3
"""lxml (libxml2 under Python) as a peer in the side-by-side runs: parse the schema, validate
one file, exit 0 if valid. usage: lxml_validate.py SCHEMA FILE"""
import sys
from lxml import etree

schema = etree.XMLSchema(etree.parse(sys.argv[1]))
document = etree.parse(sys.argv[2])
sys.exit(0 if schema.validate(document) else 1)
