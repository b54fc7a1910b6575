"""Shipped data files (fonts, meshes, hall content), found through scenes.resources."""
