"""The child: one record per child, shared by all of that child's cases."""
