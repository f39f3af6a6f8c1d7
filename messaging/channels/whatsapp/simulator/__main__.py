from messaging.channels.whatsapp.simulator.server import main

main()
