# syntax=docker/dockerfile:1
# Build: a static binary (pure-Go SQLite, no cgo).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/fivec ./cmd/fivec \
 && mkdir -p /out/data

# Run: distroless static, as a non-root user. Mount a volume at /data for the
# SQLite default, or set FIVEC_DB_DRIVER=mysql and FIVEC_DB_DSN.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/fivec /usr/local/bin/fivec
COPY --from=build --chown=nonroot:nonroot /out/data /data
WORKDIR /data
ENV FIVEC_ADDR=:8080 \
    FIVEC_DB_DSN=/data/fivec.db
EXPOSE 8080
USER nonroot:nonroot
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/fivec", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/fivec"]
