// Material's offline plugin adds a polyfill (iframe-worker) from a CDN unless one whose name contains
// "iframe-worker" is listed: this file is that entry, so the built site loads nothing from the network.
// Without the polyfill, search works when the site is served over HTTP (any static server), not from file://.
