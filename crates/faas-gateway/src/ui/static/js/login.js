// The login form: says so when the last attempt failed (`/ui/login?failed`).

if (new URLSearchParams(location.search).has('failed')) {
  document.getElementById('failed').hidden = false;
}
