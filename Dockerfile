# Static aimlite image: build with the Go toolchain, run on distroless static
# as the nonroot user (uid 65532). No shell, no libc.
#   docker build -t ghcr.io/aimlite/aimlite:dev .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd/ cmd/
COPY pkg/ pkg/
ARG TARGETOS=linux TARGETARCH=amd64
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags='-s -w' -o /out/aimlite ./cmd/aimlite

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/aimlite /aimlite
USER 65532:65532
ENTRYPOINT ["/aimlite"]
