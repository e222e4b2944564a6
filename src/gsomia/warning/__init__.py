"""The warning side: a simulated truth, the sensors that observe it, and the tracker.

One folder per role, in the manner of Stone Soup; each imports only those listed after it:

* ``evaluation/``: the consistency harness and the small synthetic truths for the tracker's
  tests and benchmark (the tracker scored against a truth it does not share);
* ``simulation/``: one launch's simulated world (its truth, picture times and sensors in
  service) and what every sensor reports in a run;
* ``scenario/``: the missile catalogue, launch sites, the dated launches and the trajectory
  solver that fits them, and the sensors in service;
* ``tracking/``: the tracker and the fusion of partners' warnings; it sees reports and
  cues, never the truth, the simulation, the scenario or the evaluation (an import
  contract);
* ``sensors/``: the :class:`~gsomia.warning.sensors.base.Sensor` role, radars, infrared
  satellites, the reports they make and the look scheduler (fed the tracks it knows as
  plain arrays, so it imports no tracker);
* ``physics/``: forces, powered and ballistic flight, the missile classes as flown, and
  the truth (``physics/truth.py``): every object of every launch flown from its plan;
* ``geo/``: the WGS 84 frames and the radar horizon.

``tracking`` uses only ``sensors.measurements`` of the sensors, so it stays clear of the truth
that the sensors observe.
"""
