"""The asset pipeline: source packages in, derived glb files out (`medvr assets build`)."""
