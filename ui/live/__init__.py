"""The live window and the view models it renders."""
