"""The virtual device's model of the sample app ``dev.harness.sample`` (sample_app/CONTRACT.md).

:mod:`.app` is the app model (registered for the package); :mod:`.methods` is the registry of
the control provider's methods, filled by the ``*_methods`` modules imported here; :mod:`.wm`
models WorkManager inside the app's process.
"""

from harness.virtual.apps.sample import app as app  # registers the model
from harness.virtual.apps.sample import worker as worker  # registers SampleWorker
from harness.virtual.apps.sample.methods import load_method_modules

load_method_modules()
