"""vsc_lib: autoencoders, VAEs and Variational Sparse Coding for the VSC book."""
