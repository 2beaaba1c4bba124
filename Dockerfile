# latchkeyd in a container: built on Debian, run as a non-root user on a
# read-only root filesystem with its data on a volume (docs/operations.md#containers).
#   docker build -t latchkey .
#   docker run -d --name latchkey --read-only -p 127.0.0.1:8080:8080 \
#     -v latchkey-data:/var/lib/latchkey -e LATCHKEY_PUBLIC_URL=https://lk.example.com latchkey
FROM debian:bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config ca-certificates \
      libpistache-dev libssl-dev nlohmann-json3-dev libcpp-jwt-dev libboost-test-dev \
      libcurl4-openssl-dev libsqlite3-dev libpq-dev libcli11-dev libspdlog-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY api api
COPY cli cli
COPY common common
COPY services services
COPY tests tests
COPY bench bench
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release \
    && cmake --build build --target latchkeyd latchkey

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpistache0 libssl3 libcurl4 libsqlite3-0 libpq5 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/latchkey --shell /usr/sbin/nologin latchkey \
    && install -d -o latchkey -g latchkey -m 0700 /var/lib/latchkey
COPY --from=build /src/build/latchkeyd /src/build/latchkey /usr/local/bin/
USER latchkey
VOLUME /var/lib/latchkey
EXPOSE 8080
# Listening on every interface needs a public URL: set LATCHKEY_PUBLIC_URL to
# the address clients use (this default suits a port published on localhost).
ENV LATCHKEY_LISTEN=0.0.0.0:8080 \
    LATCHKEY_PUBLIC_URL=http://127.0.0.1:8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
  CMD curl -fsS http://127.0.0.1:8080/readyz >/dev/null || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["latchkeyd", "--data-dir", "/var/lib/latchkey"]
