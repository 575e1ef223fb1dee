print("emohr")
