"""Cases, their work items, and the runtime commands that move them forward."""
