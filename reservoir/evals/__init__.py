"""The eval harness: labelled datasets, deterministic metrics, stored runs, reports and a gate.

`harness.run_eval` runs a task (extract, roi, ask) over its dataset with given prompt versions,
provider and model; `report` compares runs; `gate` checks a run against a baseline file.
See README.md in this folder.
"""
