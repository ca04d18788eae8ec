package dev.safeguard.admission;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.concurrent.CompletionStage;

/** POST /validate: AdmissionReview admission.k8s.io/v1 in, AdmissionReview out. */
@Path("/validate")
public class ValidateResource {

    private final ReviewPool reviews;

    public ValidateResource(ReviewPool reviews) {
        this.reviews = reviews;
    }

    /**
     * Runs on the I/O thread only to hand the body to the {@link ReviewPool}: scanning, parsing and deciding
     * (and the one bounded GET an owner lookup may make) run on its bounded workers, with a deadline, so a slow
     * review never stalls the other connections of an event loop and is always answered in time.
     */
    @POST
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public CompletionStage<Response> validate(byte[] body) {
        return reviews.submit(body);
    }
}
