using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Witness.Access;
using Witness.Checkpoints;
using Witness.Integrity;
using Witness.Storage;

namespace Witness.Server.Witnessing;

/// <summary>The heads log, its cosigning by witnesses and the tiles, as one part of the server (docs/witnessing.md).</summary>
internal static class WitnessingRegistration
{
    /// <summary>Registers the heads log, the service that appends to it and the one that has witnesses cosign it.</summary>
    /// <exception cref="InvalidOperationException">The store keeps no heads log.</exception>
    public static IServiceCollection AddWitnessing(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            var heads = sp.GetService<IHeadsLogStore>() ?? throw new InvalidOperationException($"the {sp.GetRequiredService<IWitnessStore>().Kind} store keeps no heads log");
            return new HeadsLog(heads, sp.GetRequiredService<SigningKey>(), sp.GetRequiredService<WitnessServerOptions>().Clock);
        });
        services.AddSingleton<HeadsLogService>();
        services.AddHostedService(sp => sp.GetRequiredService<HeadsLogService>());
        services.AddSingleton<HeadsCosigner>();
        services.AddHostedService(sp => sp.GetRequiredService<HeadsCosigner>());
        return services;
    }

    /// <summary>Maps the tiles (<see cref="TilesApi"/>) and <c>GET /v1/witnessing</c>.</summary>
    public static void MapWitnessing(this IEndpointRouteBuilder app)
    {
        TilesApi.Map(app);
        app.MapGet("/v1/witnessing", async (HttpContext context, HeadsCosigner cosigner) =>
                Results.Json(await cosigner.StatusAsync(context.RequestAborted), WitnessingJson.Api.WitnessingStatus))
            .WithTags("Witnessing").RequireAuthorization(Scopes.EventsRead)
            .WithSummary("Whether the heads log is witnessed: its size, the policy K, the latest checkpoint cosigned by K witnesses and when, since when later checkpoints wait (pending_since, lag_seconds), behind (an alert) when that wait passed alert_after_seconds or witnesses refused it, and each witness's last cosigned size or problem. Kept in the store, so every instance answers the same.")
            .Produces<WitnessingStatus>(200);
    }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(WitnessingStatus))]
internal sealed partial class WitnessingJson : System.Text.Json.Serialization.JsonSerializerContext
{
    public static WitnessingJson Api { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
        Converters = { new Http.UtcTimeJsonConverter() },
    });
}
