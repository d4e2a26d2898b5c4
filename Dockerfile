# syntax=docker/dockerfile:1
#
# Paradero in a container: a static binary (CGO_ENABLED=0; the SQLite
# driver is pure Go) on a distroless base, running as a non-root user, with
# its data in the volume /data. See docs/operations.md.
#
#   docker build -t paradero .
#   docker run -d -p 127.0.0.1:8080:8080 -v paradero-data:/data paradero

FROM golang:1.27-bookworm AS build
WORKDIR /src
# Modules first, so a change of source alone reuses this layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/paradero ./cmd/paradero \
 && mkdir -p /out/data

# distroless/static: CA certificates, tzdata, /etc/passwd with the user
# nonroot (65532); no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/paradero /usr/local/bin/paradero
# The volume's mount point belongs to the user; Paradero makes its data
# directory inside it, mode 0700, and its signing key mode 0600.
COPY --from=build --chown=65532:65532 /out/data /data
ENV PARADERO_DATA=/data/paradero
USER 65532:65532
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/paradero"]
# Inside the container only: publish the port on the host's loopback and
# put a TLS proxy in front (then add --secure-cookies), or give --tls-cert
# and --tls-key.
CMD ["serve", "--listen", "0.0.0.0:8080"]
