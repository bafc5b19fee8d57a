"""In-memory fakes of the services' units of work and repositories, for tests in milliseconds."""
