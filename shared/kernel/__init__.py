"""The domain kernel: plain Python every service's domain may use, free of frameworks and I/O."""
