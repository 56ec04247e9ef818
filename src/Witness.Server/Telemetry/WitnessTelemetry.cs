using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Witness.Ingest;

namespace Witness.Server.Telemetry;

/// <summary>
/// Metrics and traces through OpenTelemetry: Witness's own meter, ASP.NET Core, HttpClient (webhook
/// deliveries) and Npgsql's built-in meter and activity source. Metrics are scraped at <c>/metrics</c>
/// (Prometheus text format); both are exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// </summary>
internal static class WitnessTelemetry
{
    public const string MetricsPath = "/metrics";

    public static void Add(IServiceCollection services, WitnessServerOptions options)
    {
        ServerMetrics.UseClock(options.Clock);
        var otlp = !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"));
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("witness"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(IngestMetrics.MeterName, "Npgsql").AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddPrometheusExporter();
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing.AddSource("Npgsql").AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddOtlpExporter());
        }
    }

    public static void Map(WebApplication app)
    {
        // Counted after the endpoint answered, so every 4xx (429 from rate limiting included) is seen once.
        app.Use(async (context, next) =>
        {
            await next(context);
            if (context.Response.StatusCode is >= 400 and < 500 && context.Request.Path.StartsWithSegments("/v1"))
            {
                ServerMetrics.RequestRejected(context.Response.StatusCode);
            }
        });
        app.MapPrometheusScrapingEndpoint(MetricsPath).AllowAnonymous();
    }
}
