"""The bridge to SpiffWorkflow: state (de)serialisation, time, and reading a workflow's tree.

Everything that touches SpiffWorkflow's internals lives here, so an upgrade of the pinned
library is checked in one place.
"""
