using Microsoft.Extensions.DependencyInjection;

namespace Witness.Storage;

/// <summary>How a store registers itself: the one instance under every store contract it implements.</summary>
public static class StoreServiceRegistration
{
    /// <summary>
    /// Adds <paramref name="store"/> as <see cref="IWitnessStore"/>, as <typeparamref name="TStore"/>, and as every
    /// optional store interface of <c>Witness.Storage</c> it implements (catalog, users, alerts, streams, …), all the
    /// same instance, so a store that gains an interface is registered under it without a list to keep. Only the
    /// <see cref="IWitnessStore"/> registration is a factory: the container disposes what a factory returned, and only
    /// that registration, so the store is closed once.
    /// </summary>
    public static IServiceCollection AddStoreInstance<TStore>(this IServiceCollection services, TStore store)
        where TStore : class, IWitnessStore
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(store);
        services.AddSingleton<IWitnessStore>(_ => store);
        services.AddSingleton(store);
        foreach (var contract in typeof(TStore).GetInterfaces())
        {
            if (contract != typeof(IWitnessStore) && contract.Namespace == typeof(IWitnessStore).Namespace)
            {
                services.AddSingleton(contract, store);
            }
        }

        return services;
    }
}
