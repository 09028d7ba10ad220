# Multi-stage build: compile in the Rust image, run as a non-root user in a slim Debian image
# with the example configuration (listening on all interfaces inside the container).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin xoev-gateway

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /opt/xoev-gateway xoev \
 && mkdir -p /opt/xoev-gateway/var && chown xoev /opt/xoev-gateway/var
COPY --from=build /src/target/release/xoev-gateway /usr/local/bin/xoev-gateway
COPY examples /opt/xoev-gateway/examples
COPY schemas /opt/xoev-gateway/schemas
COPY fixtures /opt/xoev-gateway/fixtures
RUN sed -i 's/^address = "127.0.0.1:8080"/address = "0.0.0.0:8080"/' /opt/xoev-gateway/examples/gateway.toml \
 && sed -i 's/^log_format = "human".*/log_format = "json"/' /opt/xoev-gateway/examples/gateway.toml
USER xoev
WORKDIR /opt/xoev-gateway
EXPOSE 8080
ENTRYPOINT ["xoev-gateway"]
CMD ["serve", "--config", "/opt/xoev-gateway/examples/gateway.toml"]
