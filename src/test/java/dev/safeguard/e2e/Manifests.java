package dev.safeguard.e2e;

import dev.safeguard.SampleManifests;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;

/** The sample Deployments as fabric8 objects, for the scenarios to send through the API server. */
final class Manifests {

    private Manifests() {
    }

    /** The deny-level rules {@link #careless} violates with the built-in pack. */
    static final String[] CARELESS_DENIED = SampleManifests.CARELESS_DENIED;

    /** Passes every rule that is on by default. */
    static Deployment compliant(String namespace, String name) {
        return Serialization.unmarshal(SampleManifests.compliant(namespace, name), Deployment.class);
    }

    /** Violates {@link #CARELESS_DENIED} and warn-level rules besides. */
    static Deployment careless(String namespace, String name) {
        return Serialization.unmarshal(SampleManifests.careless(namespace, name), Deployment.class);
    }
}
