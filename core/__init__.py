"""Settings, metrics, logging and task sets shared by every layer.

Its own package because graphs/, nodes/, memory/ and server/ all read the same settings and
graphs/ must never import server/.
"""
