"""Solvers beyond the mini-batch loop of ``shallownet.train``.

* :mod:`.lbfgs`: full-batch L-BFGS on the mean of (16) (plus the l2 penalty), through
  ``scipy.optimize.minimize`` with the library's own back-propagation;
* :mod:`.dask`: the same L-BFGS where the data live on a Dask cluster: each iteration sends the
  parameters out and adds up each partition's L and dL/dtheta (imported only when used; it needs
  the ``shallownet[dask]`` extra).
"""
