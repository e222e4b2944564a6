"""Pure mappings between gsomia's records and the formats other systems speak.

* :mod:`~gsomia.interop.stix`: STIX 2.1 objects (items, markings, missile warnings);
* :mod:`~gsomia.interop.taxii`: TAXII 2.1 query parameters, cursors and envelopes;
* :mod:`~gsomia.interop.cot`: Cursor-on-Target events for TAK;
* :mod:`~gsomia.interop.adatp4774`: NATO ADatP-4774 confidentiality labels;
* :mod:`~gsomia.interop.tlog`: C2SP tlog-tiles paths.

Like ``core``, this package reads no clock, file or socket: every time and every byte comes
in as an argument. The mappings and what they leave out are in ``docs/interop.md``.
"""
