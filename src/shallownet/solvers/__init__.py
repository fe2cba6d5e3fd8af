"""Ways to minimise L of (16).

* :mod:`.minibatch`: where the epoch loop of ``shallownet.train`` gets its mini-batches (arrays
  in memory, or a stream of blocks through a shuffle buffer);
* :mod:`.lbfgs`: full-batch L-BFGS on the mean of (16) (plus the l2 penalty), through
  ``scipy.optimize.minimize`` with the library's own back-propagation;
* :mod:`.dask`: the same L-BFGS where the data live on a Dask cluster: each iteration sends the
  parameters out and adds up each partition's L and dL/dtheta (imported only when used; it needs
  the ``shallownet[dask]`` extra).
"""
