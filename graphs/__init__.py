"""The partner network as a graph and its weak-link analysis: pure functions over networkx."""
