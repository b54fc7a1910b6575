"""The human body: structure catalog, landmarks, asset pipeline, picking and sectioning."""
