def run(bench):
    raise NotImplementedError
