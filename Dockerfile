# The dispatch service: `docker build -t nemt-dispatch .`, then
# `docker run -p 8000:8000 -v dispatch-data:/var/lib/dispatch nemt-dispatch`.
# The default map is compiled, the numba kernels are cached and the default model is trained
# at build time, so the container serves within seconds of starting, offline.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ROUTING_CACHE_DIR=/opt/dispatch/cache/graphs \
    DISPATCH_MODEL_CACHE=/opt/dispatch/cache/models \
    NUMBA_CACHE_DIR=/opt/dispatch/cache/numba \
    NUMBA_THREADING_LAYER=omp \
    DISPATCH_DB=sqlite:////var/lib/dispatch/dispatch.sqlite \
    DISPATCH_MODELS_DIR=/var/lib/dispatch/models \
    DISPATCH_HOST=0.0.0.0 \
    DISPATCH_PORT=8000

# LightGBM's wheel needs the GNU OpenMP runtime, and numba's thread-safe "omp" threading
# layer uses it too (ETA batches and solves may run parallel kernels from two threads)
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY routing ./routing
COPY models ./models
COPY dispatch ./dispatch
COPY simulations ./simulations
RUN pip install .

# bake the defaults: compiled map and numba kernels, then the default model
RUN python -c "import routing; routing.load_graph(); routing.warm_up()" \
    && python -c "from dispatch.cli.default_model import default_model; default_model()"

RUN useradd --system --create-home dispatch \
    && mkdir -p /var/lib/dispatch \
    && chown -R dispatch /var/lib/dispatch /opt/dispatch/cache
USER dispatch
VOLUME ["/var/lib/dispatch"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
    CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"
CMD ["dispatch", "serve", "--host", "0.0.0.0"]
