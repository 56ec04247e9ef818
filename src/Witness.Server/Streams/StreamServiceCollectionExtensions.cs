using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Witness.Server.Apis;
using Witness.Storage;

namespace Witness.Server.Streams;

/// <summary>Registers log streams (issue 19) on a server whose store keeps them: the delivery worker, the service the API and console share, and the API.</summary>
internal static class StreamServiceCollectionExtensions
{
    /// <summary>Adds stream delivery when the registered store keeps streams (registers <see cref="IStreamStore"/>); answers whether it does (then map <see cref="MapWitnessStreams"/>).</summary>
    public static bool AddWitnessStreams(this IServiceCollection services, WitnessServerOptions options)
    {
        if (!services.Any(d => d.ServiceType == typeof(IStreamStore)))
        {
            return false;
        }

        options.Streams.Validate();
        services.AddSingleton<StreamDestinations>();
        services.AddSingleton<StreamDeliveryService>();
        services.AddHostedService(sp => sp.GetRequiredService<StreamDeliveryService>());
        services.AddSingleton<StreamService>();
        return true;
    }

    /// <summary>Maps <c>/v1/streams</c> when streams were added, and the event's JSON Schema (<c>/v1/schema/event.json</c>) that stream consumers validate against.</summary>
    public static void MapWitnessStreams(this IEndpointRouteBuilder app)
    {
        SchemaApi.Map(app);
        if (app.ServiceProvider.GetService<IStreamStore>() is not null)
        {
            StreamsApi.Map(app);
        }
    }
}
