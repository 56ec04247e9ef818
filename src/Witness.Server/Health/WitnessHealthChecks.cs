using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Witness.Integrity;
using Witness.Storage;

namespace Witness.Server.Health;

/// <summary>
/// <c>/healthz/live</c> (the process answers) and <c>/healthz/ready</c> (the store is reachable and a
/// new connection can write, commits are durable, every migration is applied, the signing key signs),
/// as ASP.NET Core health checks: 200 when healthy, 503 with the failing check's description otherwise.
/// </summary>
internal static class WitnessHealthChecks
{
    private const string ReadyTag = "ready";

    public static void Add(IServiceCollection services) =>
        services.AddHealthChecks()
            .AddCheck<StoreCheck>("store", tags: [ReadyTag])
            .AddCheck<SigningKeyCheck>("signing_key", tags: [ReadyTag])
            .AddCheck<Witnessing.WitnessingHealthCheck>("witnessing", tags: [ReadyTag]);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync })
            .WithTags("Operation").WithSummary("Liveness: the process answers.").AllowAnonymous();
        app.MapHealthChecks("/healthz/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync })
            .WithTags("Operation").WithSummary("Readiness: store reachable and writable, durable commits, migrations applied, signing key usable; 503 otherwise.").AllowAnonymous();
    }

    private static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject(name);
            json.WriteString("status", entry.Status.ToString());
            json.WriteString("description", entry.Description);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    private sealed class StoreCheck(IWitnessStore store) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (store is not IStoreHealth probe)
            {
                return HealthCheckResult.Healthy($"{store.Kind}: no probe");
            }

            StoreHealth health;
            try
            {
                health = await probe.CheckHealthAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy($"{store.Kind} cannot be reached: {ex.Message}");
            }

            var summary = $"{store.Kind}: {health.Durability}; migrations {health.MigrationsApplied}/{health.MigrationsKnown}";
            return health switch
            {
                { WriteError: { } error } => HealthCheckResult.Unhealthy($"{store.Kind} is not writable: {error}"),
                { Durable: false } => HealthCheckResult.Unhealthy($"{summary}: commits are not durable"),
                { Ready: false } => HealthCheckResult.Unhealthy($"{summary}: migrations missing"),
                _ => HealthCheckResult.Healthy($"{summary}; writable"),
            };
        }
    }

    /// <summary>
    /// The key signs; and it is still the store's current key: after a rotation an instance holding the old
    /// one is Degraded (it serves, but signs no checkpoints) until restarted with the new key file. Not
    /// Unhealthy, so that a rotation does not take every instance out of the load balancer at once.
    /// </summary>
    private sealed class SigningKeyCheck(SigningKey key, IWitnessStore store) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var digest = SHA256.HashData("witness readiness"u8);
            try
            {
                var signature = key.Key.SignHash(digest);
                if (!key.Key.VerifyHash(digest, signature))
                {
                    return HealthCheckResult.Unhealthy($"key '{key.KeyName}' made a signature that does not verify");
                }
            }
            catch (CryptographicException ex)
            {
                return HealthCheckResult.Unhealthy($"key '{key.KeyName}' cannot sign: {ex.Message}");
            }

            var id = RegisteredKey.FormatKeyId(CheckpointSigner.KeyId(key.Key));
            if (store is ISigningKeyStore keys && await keys.ListSigningKeysAsync(cancellationToken) is { Count: > 0 } registry && registry[^1].KeyId != id)
            {
                return HealthCheckResult.Degraded($"key {id} is no longer the store's current key ({registry[^1].KeyId}): it signs no checkpoints; restart with the current key file");
            }

            return HealthCheckResult.Healthy($"key '{key.KeyName}' ({id}) signs");
        }
    }
}
