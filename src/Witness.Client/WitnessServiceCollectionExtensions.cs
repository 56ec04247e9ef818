using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace Witness.Client;

/// <summary>Registers the Witness client and the background sender.</summary>
public static class WitnessServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="WitnessClient"/> (a typed client from <c>IHttpClientFactory</c> with the standard resilience
    /// handler, authenticated with the API key) and <see cref="IAuditLog"/> (the background sender, a hosted service).
    /// The options are validated when the host starts, which fails with every problem named.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options, for example from configuration: <c>o =&gt; config.GetSection("Witness").Bind(o)</c>.</param>
    /// <param name="resilience">Adjusts the standard resilience handler (retries, timeouts, circuit breaker), if wanted.</param>
    /// <returns>The client's <see cref="IHttpClientBuilder"/>, to add handlers.</returns>
    public static IHttpClientBuilder AddWitnessClient(this IServiceCollection services, Action<WitnessClientOptions> configure, Action<HttpStandardResilienceOptions>? resilience = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<WitnessClientOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WitnessClientOptions>, WitnessClientOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<AuditLogSender>();
        services.TryAddSingleton<IAuditLog>(sp => sp.GetRequiredService<AuditLogSender>());
        services.AddHostedService(sp => sp.GetRequiredService<AuditLogSender>());

        var builder = services.AddHttpClient<WitnessClient>((sp, http) =>
        {
            var options = sp.GetRequiredService<IOptions<WitnessClientOptions>>().Value;
            var endpoint = options.Endpoint!.ToString();
            http.BaseAddress = new Uri(endpoint.EndsWith('/') ? endpoint : endpoint + "/");
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", options.ApiKey);
            // The resilience handler's own timeouts govern each attempt and the whole call.
            http.Timeout = Timeout.InfiniteTimeSpan;
        });
        if (resilience is null)
        {
            builder.AddStandardResilienceHandler();
        }
        else
        {
            builder.AddStandardResilienceHandler(resilience);
        }

        return builder;
    }
}
