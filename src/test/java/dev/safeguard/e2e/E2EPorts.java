package dev.safeguard.e2e;

import dev.safeguard.TestNetwork;

/**
 * The ports of one e2e run, chosen free at first use and then fixed for the JVM: the webhook resource
 * hands them to the packaged app, and a cluster provider that runs in a container must know them before
 * it starts (to expose them to the container). Kept in system properties so that every class loader the
 * test framework uses sees the same numbers. Free ports rather than Quarkus' fixed test ports (8444,
 * 9001), so that the suite does not collide with other builds on the same machine.
 */
final class E2EPorts {

    private E2EPorts() {
    }

    /** The webhook's TLS port (quarkus.http.ssl-port of the launched jar). */
    static int webhook() {
        return port("safeguard.e2e.webhook-port");
    }

    /** The webhook's plain-HTTP management port (health, metrics). */
    static int management() {
        return port("safeguard.e2e.management-port");
    }

    /** kube-controller-manager's secure port (its /healthz), local-binaries provider only. */
    static int controllerManager() {
        return port("safeguard.e2e.controller-manager-port");
    }

    /** A port nothing listens on: the API server's calls to it are refused (the webhook is "down"). */
    static int dead() {
        return port("safeguard.e2e.dead-port");
    }

    private static synchronized int port(String property) {
        String chosen = System.getProperty(property);
        if (chosen == null) {
            int port;
            do {
                port = TestNetwork.freePort();
            } while (taken(port));
            chosen = String.valueOf(port);
            System.setProperty(property, chosen);
        }
        return Integer.parseInt(chosen);
    }

    private static boolean taken(int port) {
        return System.getProperties().entrySet().stream()
                .anyMatch(e -> e.getKey().toString().startsWith("safeguard.e2e.") && e.getKey().toString().endsWith("-port")
                        && String.valueOf(port).equals(e.getValue()));
    }
}
