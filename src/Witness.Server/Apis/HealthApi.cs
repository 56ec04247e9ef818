using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Witness.Server.Http;
using Witness.Storage;

namespace Witness.Server.Apis;

internal static class HealthApi
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/healthz", (IWitnessStore store) => Results.Json(new HealthResponse("ok", store.Kind), WitnessJson.Api.HealthResponse))
            .WithTags("Operation").WithSummary("Liveness: the process is up and its store is open.")
            .AllowAnonymous();
}
