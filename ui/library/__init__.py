"""The story library window and its model."""
