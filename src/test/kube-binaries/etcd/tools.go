//go:build tools

// Package tools pins the etcd server command that scripts/build-kube-binaries.sh
// builds from this module (go.etcd.io/etcd/server/v3 is etcd's main package),
// so that `go mod tidy` keeps its dependencies in go.sum.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)
