from messaging.channels.whatsapp.simulator.server import main

if __name__ == "__main__":
    main()
