"""Everything Panda3D: scenes, runtimes, shaders, labels. Importing the package itself
stays free of Panda3D so that catalogs and resources can be read without an engine."""
