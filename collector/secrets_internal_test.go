package collector

import (
	"slices"
	"testing"
)

// Each well-known credential location is a secret, wherever the home; the
// files beside them are not.
func TestSecretFilesTable(t *testing.T) {
	for p, secret := range map[string]bool{
		"/etc/shadow": true, "/etc/gshadow-": true, "/etc/passwd": false,
		"/etc/ssh/ssh_host_ed25519_key": true, "/etc/ssh/ssh_host_ed25519_key.pub": false,
		"/etc/ssl/private/server.key": true, "/etc/ssl/certs/ca-certificates.crt": false,
		"/home/u/.docker/config.json": true, "/root/.docker/config.json": true, "/home/u/.docker/contexts/meta": false,
		"/run/user/1000/containers/auth.json": true, "/home/u/.config/containers/auth.json": true,
		"/home/u/.aws/credentials": true, "/home/u/.aws/config": true,
		"/home/u/.config/gcloud/application_default_credentials.json": true,
		"/home/u/.azure/msal_token_cache.json":                        true, "/home/u/.kube/config": true,
		"/home/u/.ssh/id_rsa": true, "/home/u/.ssh/id_ecdsa_sk": true, "/home/u/.ssh/id_rsa.pub": false,
		"/home/u/.ssh/known_hosts": false,
		"/home/u/.netrc":           true, "/var/lib/postgresql/.pgpass": true, "/home/u/.git-credentials": true,
		"/home/u/.gnupg/private-keys-v1.d/ABCD.key": true, "/home/u/.gnupg/secring.gpg": true,
		"/home/u/.gnupg/pubring.kbx":           false,
		"/usr/lib/python3.11/json/__init__.py": false,
	} {
		if got := secretOf(p) != ""; got != secret {
			t.Errorf("secretOf(%s) = %q, want a secret: %v", p, secretOf(p), secret)
		}
	}
}

// The invoking user's homes are $HOME and, through sudo, $SUDO_USER's;
// "/" is none.
func TestInvokingHomes(t *testing.T) {
	t.Setenv("HOME", "/home/someone/")
	t.Setenv("SUDO_USER", "root")
	if got := invokingHomes(); !slices.Equal(got, []string{"/home/someone", "/root"}) {
		t.Errorf("homes %q", got)
	}
	t.Setenv("HOME", "/")
	t.Setenv("SUDO_USER", "")
	if got := invokingHomes(); len(got) != 0 {
		t.Errorf("homes %q, want none for HOME=/", got)
	}
	if why := privateReason("/home/someone/x", []string{"/home/someone"}); why == "" {
		t.Errorf("a file in the home is not private")
	}
	if why := privateReason("/home/someoneelse/x", []string{"/home/someone"}); why != "" {
		t.Errorf("a file beside the home is private: %s", why)
	}
}
