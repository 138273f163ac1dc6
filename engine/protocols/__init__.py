"""Protocols: the BPMN models that policy staff upload, and their published versions."""
