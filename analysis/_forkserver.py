"""Preloaded by the build's forkserver alone (first), so the server dies with the build that started it.

The forkserver outlives its parent while any worker it forked is alive (each holds its "alive"
pipe), and a worker tied to the forkserver (`workspace.die_with_parent`) would then outlive the
build too. Tied here, a killed build takes the server, which takes the workers, which take their
kernels. A build that dies before this import has run leaves a server with no workers, which
exits by itself when its pipe closes.
"""

from .workspace import die_with_parent

die_with_parent()
