"""`corridor demo`: a fresh HQ fed by the simulator, either in one process
(:mod:`~corridor.demo.embedded`) or with every post node as its own process behind a lossy link
(:mod:`~corridor.demo.processes`). Every figure it produces is SIMULATED and labelled so."""
