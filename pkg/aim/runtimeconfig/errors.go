package runtimeconfig

import "errors"

func asNotFound(err error, target **NotFoundError) bool { return errors.As(err, target) }
