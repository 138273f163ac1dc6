"""The controller's duties under the PDPA (B.E. 2562) towards the children whose data the
network holds: answering a data subject (access, rectification, restriction: ss.30-36),
retention and its destruction log (s.37(3)), and the reads of a child's data a breach
notification needs (s.37(4))."""
