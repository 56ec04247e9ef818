using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Witness.Server.Witnessing;

/// <summary>
/// The <c>witnessing</c> readiness check: Degraded while the heads log is behind (<see cref="WitnessingStatus.Behind"/>),
/// not Unhealthy, because every instance shares the one heads log and taking them all out of the load balancer would
/// not bring a witness back. Healthy, saying so, when no witness is configured.
/// </summary>
internal sealed class WitnessingHealthCheck(HeadsCosigner cosigner) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!cosigner.Enabled)
        {
            return HealthCheckResult.Healthy("no witnesses configured");
        }

        var status = await cosigner.StatusAsync(cancellationToken);
        var witnessed = status.LastWitnessed is { } last
            ? string.Create(CultureInfo.InvariantCulture, $"last witnessed by {last.Witnesses} at size {last.Size} at {last.At:yyyy-MM-ddTHH:mm:ssZ}")
            : "never witnessed";
        var lag = TimeSpan.FromSeconds(Math.Round(status.LagSeconds));
        return status.Behind
            ? HealthCheckResult.Degraded(string.Create(CultureInfo.InvariantCulture,
                $"the heads log at size {status.Size} has waited {lag} for {status.Policy} witnesses ({witnessed}); {string.Join("; ", status.Witnesses.Where(w => w.Problem is not null).Select(w => $"{w.Name}: {w.Problem}"))}"))
            : HealthCheckResult.Healthy(string.Create(CultureInfo.InvariantCulture, $"heads log size {status.Size}, policy {status.Policy}, {witnessed}"));
    }
}
